// Decoded infos (driver to user space). Raw numeric fields stay plain numbers, not unions of the
// known values, because drivers send other values (upstream's golden file has direction 3, protocol
// 4); compare them with the constants in protocol-constants.ts. u64 fields are bigints.
import type { IpVersion } from './addresses.ts';
import type { POLICY_ORIGINS, POLICY_PROBLEMS, Verdict } from './protocol-constants.ts';

/** A log line from the driver (type 0). */
export interface LogInfo {
  readonly kind: 'log';
  /** 1 trace … 6 critical, 7 disabled (see LOG_SEVERITY). */
  readonly severity: number;
  readonly text: string;
}

/** A held packet waiting for a Verdict (types 1 and 2). */
export interface ConnectionInfo {
  readonly kind: 'connection';
  readonly ipVersion: IpVersion;
  /** Pending-packet id, answered by exactly one Verdict. */
  readonly id: bigint;
  /** 0 means unknown. */
  readonly processId: bigint;
  /** 0 outbound, 1 inbound (see DIRECTION). */
  readonly direction: number;
  /** IANA protocol number (see IP_PROTOCOL). */
  readonly protocol: number;
  /** Address bytes: 4 for IPv4, 16 for IPv6 (a copy, never a view of the read buffer). */
  readonly localIp: Uint8Array;
  readonly localPort: number;
  readonly remoteIp: Uint8Array;
  readonly remotePort: number;
  /** 3 whole IP packet, 4 from the transport header (see PAYLOAD_LAYER). */
  readonly payloadLayer: number;
  /** A copy of the payload bytes: it never aliases the chunk passed to the reader. */
  readonly payload: Uint8Array;
}

/** A connection ended (types 3 and 4). */
export interface ConnectionEndInfo {
  readonly kind: 'connectionEnd';
  readonly ipVersion: IpVersion;
  readonly processId: bigint;
  readonly direction: number;
  readonly protocol: number;
  /** Address bytes: 4 for IPv4, 16 for IPv6 (a copy, never a view of the read buffer). */
  readonly localIp: Uint8Array;
  readonly localPort: number;
  readonly remoteIp: Uint8Array;
  readonly remotePort: number;
}

/** One connection's byte-count deltas in a bandwidth info. */
export interface BandwidthEntry {
  /** Address bytes: 4 for IPv4, 16 for IPv6 (a copy, never a view of the read buffer). */
  readonly localIp: Uint8Array;
  readonly localPort: number;
  readonly remoteIp: Uint8Array;
  readonly remotePort: number;
  readonly transmitted: bigint;
  readonly received: bigint;
}

/** Byte-count deltas since the previous GetBandwidthStats (types 5 and 6). */
export interface BandwidthStatsInfo {
  readonly kind: 'bandwidthStats';
  readonly ipVersion: IpVersion;
  readonly protocol: number;
  readonly entries: readonly BandwidthEntry[];
}

/** The answer to Hello (extension type 128). */
export interface HelloReplyInfo {
  readonly kind: 'helloReply';
  /** `[major, minor, revision, build]`. */
  readonly version: readonly [number, number, number, number];
  readonly extVersion: number;
  /** The granted feature bits (see FEATURE). */
  readonly features: number;
  /** 1 Windows kernel driver, 2 Linux daemon (see DRIVER_KIND). */
  readonly driverKind: number;
}

/** Details of a process, sent before the first connection naming its pid (extension type 129). */
export interface ProcessInfo {
  readonly kind: 'process';
  readonly processId: bigint;
  /** Opaque; differs between two processes that shared a pid. */
  readonly startTime: bigint;
  /** 0xFFFFFFFF when unknown. */
  readonly uid: number;
  /** Empty when unknown. */
  readonly path: string;
  readonly commandLine: readonly string[];
}

/** A DNS name for an address (extension types 130 and 131). */
export interface DnsNameInfo {
  readonly kind: 'dnsName';
  readonly ipVersion: IpVersion;
  readonly ttlSeconds: number;
  /** Address bytes: 4 for IPv4, 16 for IPv6 (a copy). */
  readonly ip: Uint8Array;
  readonly name: string;
}

/**
 * One DNS answer the driver believed, for the DNS log (extension type 136): which process asked
 * which name and what it got.
 */
export interface DnsExchangeInfo {
  readonly kind: 'dnsExchange';
  /** 0 means unknown (the asking socket was gone when the driver looked). */
  readonly processId: bigint;
  /** How the query's two addresses are held. */
  readonly ipVersion: IpVersion;
  /** The query's source: 4 or 16 bytes per `ipVersion` (a copy). */
  readonly localIp: Uint8Array;
  readonly localPort: number;
  /** Where the query went. */
  readonly resolverIp: Uint8Array;
  readonly resolverPort: number;
  /** The question's type (1 A, 28 AAAA, ...). */
  readonly qtype: number;
  /** The answer's response code (0 NOERROR, 3 NXDOMAIN, ...). */
  readonly rcode: number;
  /** The smallest TTL among the addresses; 0 when there are none. */
  readonly ttlSeconds: number;
  /** The question name, lowercase, without the trailing dot. */
  readonly name: string;
  /** The IPv4 (4 bytes each) and IPv6 (16 bytes each) addresses the answer gave the name. */
  readonly v4Addresses: readonly Uint8Array[];
  readonly v6Addresses: readonly Uint8Array[];
}

/**
 * The network of the default route, as the driver sees it (extension type 137, "Network facts"):
 * every connection info after it in the stream was seen on that network.
 */
export interface NetworkFactsInfo {
  readonly kind: 'networkFacts';
  /** From 1, one more at every change of the other fields (u32). */
  readonly epoch: number;
  /** The raw flags byte (see NETWORK_FLAG); unknown bits are kept, not refused. */
  readonly flags: number;
  /** How `gatewayIp` is held: 4 or 6; 0 without a default route. */
  readonly ipVersion: 0 | IpVersion;
  /** 4 or 16 bytes per `ipVersion` (a copy); empty when `ipVersion` is 0. All zero: no gateway. */
  readonly gatewayIp: Uint8Array;
  /** The gateway's 6-byte link-layer address (a copy); zero while unknown. */
  readonly gatewayMac: Uint8Array;
  /** The default route's interface: its index (u32) and name. */
  readonly interfaceIndex: number;
  readonly interfaceName: string;
  /** The first DNS search suffix; '' when none. */
  readonly dnsSuffix: string;
  /** The Wi-Fi network's name as raw bytes (a copy): an SSID need not be UTF-8. Empty when unknown. */
  readonly ssid: Uint8Array;
}

/** Driver counters since start, in COUNTER_NAMES order (extension type 132). */
export interface CountersInfo {
  readonly kind: 'counters';
  readonly values: readonly bigint[];
}

/**
 * Where the enforced policy came from ('stored': the driver's file at start; 'client': sent by a
 * client). 'unknown' is an origin byte this codec does not know (a newer driver's); it is decoded,
 * not dropped, because the rest of the info (what is enforced) still holds.
 */
export type PolicyOrigin = (typeof POLICY_ORIGINS)[number] | 'unknown';

/**
 * Why the last policy document failed or was only half kept ('none': nothing failed). 'unknown' is
 * a problem byte this codec does not know (a newer driver's): something went wrong with
 * `problemGeneration`, it is not known what. Never read as 'none', nor as one of the known causes.
 */
export type PolicyProblem = (typeof POLICY_PROBLEMS)[number] | 'unknown';

/** What the driver's policy enforces now (extension type 133). */
export interface PolicyStateInfo {
  readonly kind: 'policyState';
  /** 0n: no policy (the driver's detached setting applies to everything). */
  readonly generation: bigint;
  readonly ruleCount: number;
  /** For connections no rule decides while no client is connected: 2, 4 or 6 from a sound driver. */
  readonly noAppAction: Verdict;
  readonly origin: PolicyOrigin;
  readonly problem: PolicyProblem;
  /** The generation `problem` is about; 0n when none. */
  readonly problemGeneration: bigint;
}

/** A new connection the driver decided by a policy rule without holding it (types 134 and 135). */
export interface RuleDecidedInfo {
  readonly kind: 'ruleDecided';
  readonly ipVersion: IpVersion;
  /** 0 means unknown. */
  readonly processId: bigint;
  readonly direction: number;
  readonly protocol: number;
  /** Address bytes: 4 for IPv4, 16 for IPv6 (a copy, never a view of the read buffer). */
  readonly localIp: Uint8Array;
  readonly localPort: number;
  readonly remoteIp: Uint8Array;
  readonly remotePort: number;
  /** The verdict applied: 3, 5 or 7 (permanent accept, block, drop) from a sound driver. */
  readonly verdict: Verdict;
  /** The policy generation whose rule decided, and that rule's tag. */
  readonly generation: bigint;
  readonly ruleTag: number;
}

/** Any decoded info, discriminated by `kind`. */
export type Info =
  | LogInfo
  | ConnectionInfo
  | ConnectionEndInfo
  | BandwidthStatsInfo
  | HelloReplyInfo
  | ProcessInfo
  | DnsNameInfo
  | DnsExchangeInfo
  | NetworkFactsInfo
  | CountersInfo
  | PolicyStateInfo
  | RuleDecidedInfo;

/** The `kind` of an info. */
export type InfoKind = Info['kind'];

/** Why an info was skipped rather than decoded. */
export type InfoProblemReason = 'size-mismatch' | 'unknown-type' | 'oversized' | 'bad-value';

/**
 * An info that was skipped by its length: its body does not fit its type (`size-mismatch`), its
 * type is unknown (`unknown-type`), its body_len exceeds the reader's limit (`oversized`), or a
 * field holds a value its type cannot carry (`bad-value`: a verdict byte outside 0..11 in a
 * PolicyState or RuleDecided, verdicts being fixed by the base protocol; an IP version a
 * DnsExchange or NetworkFacts cannot hold its address by; a DnsExchange without a name).
 */
export interface InfoProblem {
  readonly kind: 'problem';
  readonly problem: InfoProblemReason;
  /** The header's type byte. */
  readonly type: number;
  /** The header's body_len. */
  readonly bodyLength: number;
}

/** What decoding one info body gives: the info, or why it was skipped. */
export type DecodeResult = Info | InfoProblem;
