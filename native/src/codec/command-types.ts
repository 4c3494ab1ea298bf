// Commands (user space to driver): one per write, `id u8` then fixed-size fields (PolicyPart: a
// fixed header, then as many data bytes as its `data_len` says).
import type { IpVersion } from './addresses.ts';
import type { Verdict } from './protocol-constants.ts';

/** End the info stream and answer every pending packet (id 0). */
export interface ShutdownCommand {
  readonly kind: 'shutdown';
}

/** Answer the pending packet `id` (id 1). */
export interface VerdictCommand {
  readonly kind: 'verdict';
  /** The pending-packet id of a connection info (u64). */
  readonly id: bigint;
  readonly verdict: Verdict;
}

/** Overwrite the cached verdict of a connection (id 2 for IPv4, 3 for IPv6). */
export interface UpdateCommand {
  readonly kind: 'update';
  readonly ipVersion: IpVersion;
  /** IANA protocol number (u8). */
  readonly protocol: number;
  /** Address bytes of the family `ipVersion` names: 4 for IPv4, 16 for IPv6. */
  readonly localIp: Uint8Array;
  readonly localPort: number;
  readonly remoteIp: Uint8Array;
  readonly remotePort: number;
  readonly verdict: Verdict;
}

/** Forget all cached verdicts (id 4). */
export interface ClearCacheCommand {
  readonly kind: 'clearCache';
}

/** Queue the buffered log lines as infos (id 5). */
export interface GetLogsCommand {
  readonly kind: 'getLogs';
}

/** Queue the bandwidth deltas since the last request (id 6). */
export interface GetBandwidthStatsCommand {
  readonly kind: 'getBandwidthStats';
}

/** A no-op kept for compatibility (id 7). */
export interface PrintMemoryStatsCommand {
  readonly kind: 'printMemoryStats';
}

/** Drop cache entries ended over a minute ago or idle over ten minutes (id 8). */
export interface CleanEndedConnectionsCommand {
  readonly kind: 'cleanEndedConnections';
}

/** Extension: negotiate extension infos (id 128). */
export interface HelloCommand {
  readonly kind: 'hello';
  /** The client's extension revision (u16). */
  readonly extVersion: number;
  /** Feature bits the client understands (u32, see FEATURE). */
  readonly features: number;
}

/** Extension: queue one Counters info (id 129). */
export interface GetCountersCommand {
  readonly kind: 'getCounters';
}

/**
 * Extension: one part of a policy document (id 130). A document is sent as parts in order, each
 * with the same `generation` and `totalLength`, `offset` = the bytes sent before it (see
 * policyPartCommands in policy-encoder.ts).
 */
export interface PolicyPartCommand {
  readonly kind: 'policyPart';
  /** The generation of the document being sent (u64). */
  readonly generation: bigint;
  /** The whole document's length in bytes (u32; a driver refuses more than 16 MiB). */
  readonly totalLength: number;
  /** Where `data` starts in the document (u32). */
  readonly offset: number;
  /** 1..8192 bytes of the document. */
  readonly data: Uint8Array;
}

/**
 * Extension: the client has put in force the policy for the network of NetworkFacts `epoch` (id
 * 131); until then the driver's policy decides no new connection (README "Network facts").
 */
export interface NetworkSeenCommand {
  readonly kind: 'networkSeen';
  /** The epoch of a NetworkFacts info the driver sent (u32). */
  readonly epoch: number;
}

/** Any command, discriminated by `kind`. */
export type Command =
  | ShutdownCommand
  | VerdictCommand
  | UpdateCommand
  | ClearCacheCommand
  | GetLogsCommand
  | GetBandwidthStatsCommand
  | PrintMemoryStatsCommand
  | CleanEndedConnectionsCommand
  | HelloCommand
  | GetCountersCommand
  | PolicyPartCommand
  | NetworkSeenCommand;

/** The `kind` of a command. */
export type CommandKind = Command['kind'];
