// Numbers fixed by the driver wire protocol (driver/protocol/README.md).
// Keep in sync with driver/protocol/src/constants.rs.

/** The values of an `as const` object, as a union type. */
type ValueOf<T> = T[keyof T];

/** The version a ZenithFence driver reports: `[major, minor, revision, build]` (base format kext 2.1). */
export const PROTOCOL_VERSION = [2, 1, 0, 0] as const;

/** Revision of the ZenithFence extensions; grows only when fields are appended. */
export const EXT_VERSION = 1;

/** Size of an info header: `type u8` then `body_len u32`. */
export const INFO_HEADER_LENGTH = 5;

/** Command ids: the first byte of every write. */
export const COMMAND_ID = {
  shutdown: 0,
  verdict: 1,
  updateV4: 2,
  updateV6: 3,
  clearCache: 4,
  getLogs: 5,
  getBandwidthStats: 6,
  printMemoryStats: 7,
  cleanEndedConnections: 8,
  hello: 128,
  getCounters: 129,
  policyPart: 130,
  networkSeen: 131,
} as const;

/** A known command id. */
export type CommandId = ValueOf<typeof COMMAND_ID>;

/** A command id whose size is fixed: every id but PolicyPart, whose size is in its own bytes. */
export type FixedSizeCommandId = Exclude<CommandId, typeof COMMAND_ID.policyPart>;

/**
 * The exact size in bytes (id included) of each fixed-size command; a write of another length is
 * rejected. PolicyPart is not here: it is {@link POLICY_PART_HEADER_LENGTH} + its `data_len`.
 */
export const COMMAND_SIZE: Readonly<Record<FixedSizeCommandId, number>> = {
  0: 1,
  1: 10,
  2: 15,
  3: 39,
  4: 1,
  5: 1,
  6: 1,
  7: 1,
  8: 1,
  128: 7,
  129: 1,
  131: 5,
};

// A 256-entry table so a decoder looks a size up by any byte without a hash lookup; 0 = unknown id.
const COMMAND_SIZE_BY_BYTE = new Uint8Array(256);
for (const [id, size] of Object.entries(COMMAND_SIZE)) COMMAND_SIZE_BY_BYTE[Number(id)] = size;

/**
 * The fixed size of the command with this id byte; `undefined` for an unknown id and for PolicyPart
 * (130), whose size is {@link POLICY_PART_HEADER_LENGTH} + its `data_len` (splitCommandStream and
 * decodeCommand read it from the bytes).
 */
export function commandSize(id: number): number | undefined {
  const size = COMMAND_SIZE_BY_BYTE[id];
  return size === undefined || size === 0 ? undefined : size;
}

/** PolicyPart's bytes before its data: id, generation u64, total_len u32, offset u32, data_len u16. */
export const POLICY_PART_HEADER_LENGTH = 19;

/** The most policy document bytes one PolicyPart carries (its `data_len` is 1..this). */
export const MAX_POLICY_PART_LENGTH = 8192;

/** Info types: the first byte of every info header. Base 0..6, extensions 128..137. */
export const INFO_TYPE = {
  logLine: 0,
  connectionV4: 1,
  connectionV6: 2,
  connectionEndV4: 3,
  connectionEndV6: 4,
  bandwidthStatsV4: 5,
  bandwidthStatsV6: 6,
  helloReply: 128,
  process: 129,
  dnsNameV4: 130,
  dnsNameV6: 131,
  counters: 132,
  policyState: 133,
  ruleDecidedV4: 134,
  ruleDecidedV6: 135,
  dnsExchange: 136,
  networkFacts: 137,
} as const;

/** A known info type. */
export type InfoType = ValueOf<typeof INFO_TYPE>;

/** Verdict values (a Verdict's byte, and the last byte of an Update). */
export const VERDICT = {
  undecided: 0,
  undeterminable: 1,
  accept: 2,
  permanentAccept: 3,
  block: 4,
  permanentBlock: 5,
  drop: 6,
  permanentDrop: 7,
  redirectNameServer: 8,
  redirectTunnel: 9,
  failed: 10,
  redirectSplitTunnel: 11,
} as const;

/** A valid verdict value, 0..11. */
export type Verdict = ValueOf<typeof VERDICT>;

/** Display names of the verdicts, indexed by value. */
export const VERDICT_NAMES = [
  'Undecided',
  'Undeterminable',
  'Accept',
  'PermanentAccept',
  'Block',
  'PermanentBlock',
  'Drop',
  'PermanentDrop',
  'RedirectNameServer',
  'RedirectTunnel',
  'Failed',
  'RedirectSplitTunnel',
] as const;

/** The highest valid verdict value. */
export const MAX_VERDICT = VERDICT_NAMES.length - 1;

/** Whether `value` is a valid verdict (an integer in 0..11). */
export function isVerdict(value: number): value is Verdict {
  return Number.isInteger(value) && value >= 0 && value <= MAX_VERDICT;
}

/** Connection direction values. Infos carry the raw byte, which may be outside these. */
export const DIRECTION = { outbound: 0, inbound: 1 } as const;

/** IANA protocol numbers the protocol names (infos carry any byte). */
export const IP_PROTOCOL = { icmp: 1, tcp: 6, udp: 17, icmpv6: 58 } as const;

/** `payload_layer` of connection infos: 3 the whole IP packet, 4 from the transport header. */
export const PAYLOAD_LAYER = { network: 3, transport: 4 } as const;

/** LogLine severities (upstream's levels). */
export const LOG_SEVERITY = {
  trace: 1,
  debug: 2,
  info: 3,
  warning: 4,
  error: 5,
  critical: 6,
  disabled: 7,
} as const;

/** Extension feature bits negotiated by Hello. */
export const FEATURE = {
  /** Process infos (129). */
  process: 0x1,
  /** DnsNameV4/V6 infos (130, 131). */
  dns: 0x2,
  /** Counters infos (132), on GetCounters. */
  counters: 0x4,
  /** PolicyState (133) and RuleDecidedV4/V6 (134, 135) infos. */
  policy: 0x8,
  /** DnsExchange infos (136): who asked which name and what it got. */
  dnsLog: 0x10,
  /** NetworkFacts infos (137), and the NetworkSeen command (131) takes effect. */
  network: 0x20,
} as const;

/** Every feature bit this protocol revision defines. */
export const ALL_FEATURES =
  FEATURE.process | FEATURE.dns | FEATURE.counters | FEATURE.policy | FEATURE.dnsLog | FEATURE.network;

/** NetworkFacts `flags` bits; a newer driver may set others, which readers ignore. */
export const NETWORK_FLAG = {
  /** There is a default route; without it every other field is zero or empty. */
  defaultRoute: 0x1,
  /** `gateway_mac` is known (the neighbour table had it). */
  gatewayMacKnown: 0x2,
  /** A tunnel interface (tun, WireGuard, PPP) is up. */
  vpnUp: 0x4,
  /** The gateway's MAC is being resolved: the network is not identified yet. */
  gatewayMacPending: 0x8,
} as const;

/** PolicyState `origin` names, indexed by wire value: where the enforced policy came from. */
export const POLICY_ORIGINS = ['none', 'stored', 'client'] as const;

/**
 * PolicyState `problem` names, indexed by wire value: why the last document failed or was only
 * half kept ('not-saved': enforced, but the stored file could not be written).
 */
export const POLICY_PROBLEMS = ['none', 'malformed', 'checksum', 'too-large', 'out-of-order', 'not-saved'] as const;

/** `driver_kind` of a HelloReply. */
export const DRIVER_KIND = { windowsKernel: 1, linuxDaemon: 2 } as const;

/** Windows device IOCTL codes: `CTL_CODE(0x9C40, fn, METHOD_BUFFERED, FILE_READ_DATA | FILE_WRITE_DATA)`. */
export const IOCTL = {
  /** fn 0x800: returns the 4-byte {@link PROTOCOL_VERSION}. */
  version: 0x9c40e000,
  /** fn 0x801: same as the Shutdown command. */
  shutdown: 0x9c40e004,
} as const;

/** Positions of the counters in a Counters info. */
export const COUNTER_INDEX = {
  infosQueued: 0,
  statsDropped: 1,
  queueFullDefaulted: 2,
  holdTimeouts: 3,
  verdictsApplied: 4,
  commandsRejected: 5,
  pendingNow: 6,
  cacheEntries: 7,
} as const;

/** Counter names in wire order; a driver sends at least this many counters. */
export const COUNTER_NAMES = [
  'infosQueued',
  'statsDropped',
  'queueFullDefaulted',
  'holdTimeouts',
  'verdictsApplied',
  'commandsRejected',
  'pendingNow',
  'cacheEntries',
] as const satisfies readonly (keyof typeof COUNTER_INDEX)[];
